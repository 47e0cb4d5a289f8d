"""app.services"""
