"""The deterministic script that wrote the bundled demo catalog (a development tool).

Regenerate with `python -m catalog.demo_data` (same seed, same bytes). The file
holds one product per line in a neutral shape that both the in-process demo
provider and the mock catalog server read (through `catalog.data`, whose
`DATA_PATH` and `load_records` are re-exported here):

    {"id": uuid, "title", "price", "image", "brand", "category",
     "reviewScore"?, "reviewCount"?}

This module does not need Django, so the mock server can use it on its own.
"""

import argparse
import json
import random
import uuid
from pathlib import Path

from catalog.data import DATA_PATH, load_records

__all__ = ["DATA_PATH", "generate", "load_records", "main", "render"]

SEED = 20240601
PRODUCT_COUNT = 3000
IMAGE_BASE = "https://images.catalog.example.com/products"

# The first product is the example the catalog's documentation gives.
DOCUMENTED_EXAMPLE = {
    "id": "1bf0f365-fbdd-4e21-9786-da459d78dd1f",
    "title": "Cadeira para Auto Iseos Bébé Confort Earth Brown",
    "price": 1699.0,
    "image": f"{IMAGE_BASE}/1bf0f365-fbdd-4e21-9786-da459d78dd1f.jpg",
    "brand": "bébé confort",
    "category": "bebes",
}

COLORS_PT = ["Preto", "Branco", "Prata", "Azul", "Vermelho", "Cinza", "Rosa", "Verde", "Grafite"]
COLORS_EN = ["Black", "White", "Silver", "Blue", "Red", "Grey", "Pink", "Green", "Graphite"]
VOLTAGES = ["110V", "220V", "Bivolt"]

# category -> (brands, price range, title templates). Placeholders: {brand},
# {model}, {color}, {color_en}, {voltage}, {size}, {storage}, {capacity}.
CATEGORIES: dict[str, tuple[list[str], tuple[float, float], list[str]]] = {
    "celulares": (
        ["Samsung", "Motorola", "Apple", "Xiaomi", "Asus", "Nokia", "Realme"],
        (499, 9999),
        [
            "Smartphone {brand} {model} {storage} {color} 4G",
            'Smartphone {brand} {model} {storage} 5G Tela 6,5" {color}',
            "Celular {brand} {model} Dual Chip {storage} {color}",
            "{brand} {model} Smartphone {storage} {color_en} Unlocked",
        ],
    ),
    "informatica": (
        ["Dell", "Lenovo", "Acer", "Asus", "HP", "Samsung", "Positivo", "Apple"],
        (1299, 14999),
        [
            'Notebook {brand} {model} Intel Core i5 8GB {storage} SSD 15,6"',
            "Notebook {brand} {model} AMD Ryzen 7 16GB {storage} SSD",
            '{brand} {model} Laptop 14" 16GB RAM {storage} SSD {color_en}',
            'Monitor {brand} {model} {size}" Full HD IPS',
            "Computador {brand} {model} Intel Core i3 4GB {storage}",
        ],
    ),
    "eletrodomesticos": (
        ["Brastemp", "Consul", "Electrolux", "Panasonic", "LG", "Midea", "Philco"],
        (349, 7999),
        [
            "Geladeira {brand} Frost Free Duplex {capacity}L {color} {voltage}",
            "Lavadora de Roupas {brand} {capacity}kg {color} {voltage}",
            "Micro-ondas {brand} {capacity}L {color} {voltage}",
            "Fogão {brand} 4 Bocas Acendimento Automático {color}",
            "Ar-Condicionado Split {brand} {capacity}000 BTUs Inverter {voltage}",
        ],
    ),
    "eletroportateis": (
        ["Arno", "Mondial", "Philips Walita", "Britânia", "Oster", "Black+Decker", "Cadence"],
        (59.9, 899),
        [
            "Liquidificador {brand} {model} {capacity} Velocidades {color} {voltage}",
            "Fritadeira Elétrica sem Óleo {brand} {capacity}L {color} {voltage}",
            "Cafeteira Elétrica {brand} {model} {color} {voltage}",
            "Ferro de Passar a Vapor {brand} {model} {voltage}",
            "{brand} {model} Air Fryer {capacity}L {color_en}",
        ],
    ),
    "tv-e-video": (
        ["Samsung", "LG", "Philco", "TCL", "Sony", "AOC", "Philips"],
        (899, 12999),
        [
            'Smart TV {brand} {size}" 4K UHD LED {model} Wi-Fi',
            'Smart TV LED {size}" {brand} {model} Full HD HDMI USB',
            '{brand} {size}" 4K Smart TV {model} HDR',
            "Soundbar {brand} {model} 2.1 Canais Bluetooth",
        ],
    ),
    "audio": (
        ["JBL", "Sony", "Philips", "Edifier", "Bose", "Multilaser", "Xiaomi"],
        (49.9, 2999),
        [
            "Fone de Ouvido Bluetooth {brand} {model} {color}",
            "Caixa de Som Portátil {brand} {model} Bluetooth à Prova d'Água",
            "Wireless Headphones {brand} {model} Noise Cancelling {color_en}",
            "Headset Gamer {brand} {model} {color}",
        ],
    ),
    "games": (
        ["Sony", "Microsoft", "Nintendo", "Redragon", "Logitech", "HyperX"],
        (99.9, 4999),
        [
            "Console {brand} {model} {storage} {color}",
            "Controle sem Fio {brand} {model} {color}",
            "Mouse Gamer {brand} {model} RGB 12000 DPI",
            "Teclado Mecânico Gamer {brand} {model} Switch Red",
            "{brand} {model} Gaming Controller {color_en}",
        ],
    ),
    "bebes": (
        ["Bébé Confort", "Burigotto", "Galzerano", "Chicco", "Fisher-Price", "Safety 1st"],
        (79.9, 2899),
        [
            "Cadeira para Auto {model} {brand} {color}",
            "Carrinho de Bebê {brand} {model} Travel System {color}",
            "Berço Portátil {brand} {model} {color}",
            "Bebê Conforto {brand} {model} 0 a 13kg {color}",
        ],
    ),
    "moveis": (
        ["Madesa", "Politorno", "Kappesberg", "Tok&Stok", "Mobly", "Lojas Kit"],
        (149.9, 3999),
        [
            "Guarda-Roupa Casal {brand} {model} {capacity} Portas {color}",
            'Rack para TV até {size}" {brand} {model} {color}',
            "Mesa de Jantar {brand} {model} 6 Lugares {color}",
            "Escrivaninha {brand} {model} com Gavetas {color}",
            "Sofá Retrátil {brand} {model} 3 Lugares {color}",
        ],
    ),
    "esporte-e-lazer": (
        ["Caloi", "Nike", "Adidas", "Olympikus", "Mormaii", "Kikos", "Penalty"],
        (39.9, 3499),
        [
            "Bicicleta Aro 29 {brand} {model} 21 Marchas {color}",
            "Tênis de Corrida {brand} {model} Masculino {color}",
            "Bola de Futebol {brand} {model} Campo",
            "Esteira Elétrica {brand} {model} {voltage}",
            "{brand} {model} Running Shoes {color_en}",
        ],
    ),
    "ferramentas": (
        ["Bosch", "Makita", "Black+Decker", "Tramontina", "Vonder", "DeWalt", "Stanley"],
        (29.9, 1899),
        [
            "Furadeira de Impacto {brand} {model} 650W {voltage}",
            "Parafusadeira a Bateria {brand} {model} 12V",
            "Jogo de Ferramentas {brand} {model} {capacity} Peças",
            "Serra Circular {brand} {model} 1400W {voltage}",
            "{brand} {model} Cordless Drill 18V",
        ],
    ),
    "beleza-e-perfumaria": (
        ["Natura", "O Boticário", "L'Oréal", "Nivea", "Taiff", "Gama Italy", "Philco"],
        (19.9, 899),
        [
            "Secador de Cabelo {brand} {model} 2000W {voltage}",
            "Prancha Alisadora {brand} {model} Cerâmica Bivolt",
            "Perfume {brand} {model} Eau de Toilette {capacity}0ml",
            "Kit Shampoo e Condicionador {brand} {model}",
        ],
    ),
    "utilidades-domesticas": (
        ["Tramontina", "Rochedo", "Brinox", "Electrolux", "Oxford", "Tupperware"],
        (24.9, 1299),
        [
            "Jogo de Panelas {brand} {model} Antiaderente {capacity} Peças",
            "Aparelho de Jantar {brand} {model} {capacity}0 Peças",
            "Faqueiro Inox {brand} {model} {capacity}0 Peças",
            "{brand} {model} Cookware Set {capacity} Pieces",
        ],
    ),
}

MODEL_PREFIXES = ["X", "Pro", "Max", "Neo", "Ultra", "Lite", "Plus", "Prime", "Go", "S", "A", "Z"]
MODEL_WORDS = ["Iseos", "Aura", "Vega", "Nova", "Orion", "Titan", "Luna", "Sol", "Atlas", "Terra"]
STORAGES = ["32GB", "64GB", "128GB", "256GB", "512GB", "1TB"]
SIZES = ["24", "32", "40", "43", "50", "55", "58", "65", "70", "75"]


def _model(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.4:
        return f"{rng.choice(MODEL_PREFIXES)}{rng.randint(1, 99)}"
    if kind < 0.7:
        return f"{rng.choice(MODEL_WORDS)} {rng.choice(MODEL_PREFIXES)}"
    return f"{rng.choice(MODEL_WORDS)} {rng.randint(100, 9900)}"


def _price(rng: random.Random, low: float, high: float) -> float:
    # Skewed towards the low end of the range, with the endings shops use.
    value = low + (high - low) * rng.random() ** 2
    ending = rng.choice([0.9, 0.99, 0.0, 0.9, 0.99, 0.49, round(rng.random(), 2)])
    return round(max(int(value) + ending, 0.01), 2)


def generate(*, seed: int = SEED, count: int = PRODUCT_COUNT) -> list[dict]:
    rng = random.Random(seed)
    products = [dict(DOCUMENTED_EXAMPLE)]
    titles = {DOCUMENTED_EXAMPLE["title"]}
    category_names = sorted(CATEGORIES)
    while len(products) < count:
        category = rng.choice(category_names)
        brands, (low, high), templates = CATEGORIES[category]
        brand = rng.choice(brands)
        color = rng.randrange(len(COLORS_PT))
        title = rng.choice(templates).format(
            brand=brand,
            model=_model(rng),
            color=COLORS_PT[color],
            color_en=COLORS_EN[color],
            voltage=rng.choice(VOLTAGES),
            size=rng.choice(SIZES),
            storage=rng.choice(STORAGES),
            capacity=rng.randint(2, 12),
        )
        if title in titles:
            continue
        titles.add(title)
        product_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        product = {
            "id": product_id,
            "title": title,
            "price": _price(rng, low, high),
            "image": f"{IMAGE_BASE}/{product_id}.jpg",
            "brand": brand.lower(),
            "category": category,
        }
        if rng.random() >= 1 / 3:  # about a third of the products have no review
            product["reviewScore"] = round(rng.triangular(1.0, 5.0, 4.4), 6)
            product["reviewCount"] = rng.randint(1, 2500)
        products.append(product)
    return products


def render(products: list[dict]) -> str:
    """One product per line, so a regenerated file diffs line by line."""
    lines = [json.dumps(product, ensure_ascii=False, sort_keys=True) for product in products]
    return "[\n" + ",\n".join(lines) + "\n]\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the bundled demo catalog.")
    parser.add_argument("--output", type=Path, default=DATA_PATH)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--count", type=int, default=PRODUCT_COUNT)
    args = parser.parse_args(argv)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    products = generate(seed=args.seed, count=args.count)
    args.output.write_text(render(products), encoding="utf-8")
    print(f"Wrote {len(products)} products to {args.output}")


if __name__ == "__main__":
    main()
