"""HTTP handlers of the inventory service."""

import os
import subprocess

import yaml
from flask import Flask, jsonify, request

app = Flask(__name__)

BACKUP_COMMAND = "tar czf /var/backups/inventory.tgz /srv/inventory"


@app.route("/health/ping")
def ping_warehouse():
    host = request.args.get("host", "localhost")
    status = os.system(f"ping -c 1 {host}")  # planted: py.shell-injection
    return jsonify(reachable=status == 0)


@app.route("/admin/backup", methods=["POST"])
def backup():
    # safe: the command is a module constant; nobody can change it.
    subprocess.run(BACKUP_COMMAND, shell=True, check=True)
    return jsonify(done=True)


@app.route("/items/search")
def search_items():
    price_rule = request.args.get("max_price", "100")
    limit = eval(price_rule)  # planted: py.code-eval
    return jsonify(limit=limit)


@app.route("/items/count")
def count_items():
    # safe: eval of a literal expression is fixed by the program.
    page_size = eval("10 * 5")
    return jsonify(page_size=page_size)


@app.route("/import", methods=["POST"])
def import_catalogue():
    catalogue = yaml.load(request.data, Loader=yaml.Loader)  # planted: py.unsafe-deserialization
    return jsonify(count=len(catalogue))


@app.route("/import/safe", methods=["POST"])
def import_catalogue_safely():
    # safe: SafeLoader builds plain data only.
    catalogue = yaml.load(request.data, Loader=yaml.SafeLoader)
    return jsonify(count=len(catalogue))
