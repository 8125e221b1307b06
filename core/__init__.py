"""DQ Hub core: all logic, no Streamlit."""
