"""Morning-overshoot detection, AFDD fault rows and project sync (issue 5)."""
