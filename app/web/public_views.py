"""The public side (no account): file a complaint, the receipt, follow a case."""
from __future__ import annotations

from flask import Blueprint, render_template

from app.web.pages import page

public_bp = Blueprint("public", __name__)


@page(public_bp, "/", auth="public")
def home():
    return render_template("public/home.html")


@page(public_bp, "/complaints/new", methods=("GET", "POST"), auth="public")
def file_complaint():
    return render_template("public/home.html")


@page(public_bp, "/follow", methods=("GET", "POST"), auth="public")
def follow():
    return render_template("public/home.html")
