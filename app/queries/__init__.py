"""app.queries"""
