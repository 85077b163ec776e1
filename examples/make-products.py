#!/usr/bin/env python3
"""Writes examples/data/products.jsonl, the documents sample: 300 products, each an 8-dimensional
vector (clustered by category, so that nearest neighbours share one) with a title, a category, a
price, a year and tags. Standard library only; the same file on every run.

usage: make-products.py [OUT_FILE]
"""
import json
import random
import sys

CATEGORIES = ["audio", "video", "books", "garden", "kitchen"]
ADJECTIVES = ["Wireless", "Compact", "Classic", "Smart", "Portable", "Quiet", "Heavy-duty", "Solar"]
NOUNS = {"audio": ["earbuds", "speaker", "headphones", "turntable"],
         "video": ["projector", "webcam", "monitor", "camera"],
         "books": ["novel", "cookbook", "atlas", "field guide"],
         "garden": ["hose", "lamp", "planter", "shears"],
         "kitchen": ["kettle", "blender", "knife set", "scale"]}
TAGS = ["sale", "new", "eco", "gift", "refurbished"]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "examples/data/products.jsonl"
    rng = random.Random(11)
    centres = {c: [rng.gauss(0, 1) for _ in range(8)] for c in CATEGORIES}
    lines = []
    for i in range(300):
        category = CATEGORIES[i % len(CATEGORIES)]
        noun, adjective = rng.choice(NOUNS[category]), rng.choice(ADJECTIVES)
        vector = [round(x + rng.gauss(0, 0.35), 4) for x in centres[category]]
        tags = sorted(set(rng.sample(TAGS, rng.randint(0, 2))))
        lines.append(json.dumps({"id": i, "vector": vector, "title": f"{adjective} {noun}", "category": category,
                                 "price": round(rng.uniform(5, 200), 2), "year": rng.randint(2015, 2026), "tags": tags}))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
