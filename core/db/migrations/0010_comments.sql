-- Comments (issue 16): a thread of plain-text comments per issue, and later per incident, with
-- who wrote each and when. Append-only: a comment is never edited or deleted (a correction is
-- a new comment), so the thread is part of the audit trail (`python -m jobs export audit`).
-- Common SQL subset only.

-- One row per comment. A thread is (thread_kind, thread_id): `issue` + dq_issues.issue_id now;
-- `incident` + an incident's id when incidents exist (no schema change). account_id is the
-- thread's account when the comment was written, so the thread is scoped like its issue without
-- a join. Newest last: order by created_at, which the app keeps increasing within a thread.
CREATE TABLE dq_comments (
    -- The comment's id (random).
    comment_id VARCHAR(64) NOT NULL,
    -- What the thread belongs to: issue (later also incident).
    thread_kind VARCHAR(16) NOT NULL,
    -- The issue's issue_id (an incident's id for thread_kind incident).
    thread_id VARCHAR(256) NOT NULL,
    -- The account of the issue (or incident) when the comment was written.
    account_id VARCHAR(256),
    -- Who wrote it: the signed-in user's login name.
    author VARCHAR(256) NOT NULL,
    -- When (UTC).
    created_at TIMESTAMP NOT NULL,
    -- The text, 1 to 2,000 characters, shown as plain text (never Markdown).
    body VARCHAR(65535) NOT NULL
);
