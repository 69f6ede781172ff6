import os

café = "naïve ☃"; résumé = os.system(café)
名前 = f"{'日本'}{os.getenv('ユーザー')}"
données = {"clé": "valeur"}; print(données["clé"], café)
ｗｉｄｔｈ = 1
