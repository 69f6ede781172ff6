"""Login flow of the staff portal."""

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_login import login_user
from werkzeug.security import check_password_hash

from users import find_user

app = Flask(__name__)


@app.route("/login", methods=["GET", "POST"])
def login():
    next_url = request.args.get("next") or url_for("index")
    if request.method == "POST":
        user = find_user(request.form["email"])
        if user and check_password_hash(user.password_hash, request.form["password"]):
            login_user(user)
            return redirect(next_url)  # expect: py.open-redirect
        flash("Wrong email or password.")
    return render_template("login.html")


@app.route("/")
def index():
    return render_template("index.html")
