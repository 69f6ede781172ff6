import os

café = "naïve ☃"; msg = f"{"héllo"} {os.system(f"{'ü'}{café}")}"
