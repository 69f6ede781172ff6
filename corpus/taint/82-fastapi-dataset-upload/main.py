"""Dataset uploads of the labelling tool (FastAPI)."""

from fastapi import FastAPI, File, UploadFile

import datasets

app = FastAPI()


@app.post("/datasets/{name}")
def upload_dataset(name: str, archive: UploadFile = File(...)):
    return {"files": datasets.unpack(datasets.dataset_dir(name), archive.file)}


@app.post("/datasets/{name}/labels")
def upload_labels(name: str, archive: UploadFile = File(...)):
    return {"files": datasets.unpack_checked(datasets.dataset_dir(name), archive.file)}
