"""app.web"""
