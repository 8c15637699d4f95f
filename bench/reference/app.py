"""The design this project replaced, as a dev-only baseline for `make bench` (never imported by
the service): FastAPI + SQLAlchemy 2 ORM + Pydantic v2 + PyJWT, doing the favorites list's whole
work on the project's own tables: verify the HS256 access token, load the customer (401 when gone
or inactive), self-or-staff check, COUNT + one page of 20, newest first.

    DATABASE_URL=postgres://... SECRET_KEY=... uvicorn --app-dir bench/reference app:app --workers 2

Its dependencies are in requirements/bench.lock.
"""

import os
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import jwt
from fastapi import Depends, FastAPI, Header, HTTPException, Query
from pydantic import BaseModel
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Numeric,
    String,
    create_engine,
    func,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

engine = create_engine(
    os.environ["DATABASE_URL"].replace("postgres://", "postgresql+psycopg://", 1), pool_size=8
)
KEY = os.environ["SECRET_KEY"]


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers_customer"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email: Mapped[str] = mapped_column(String)
    is_active: Mapped[bool] = mapped_column(Boolean)
    is_staff: Mapped[bool] = mapped_column(Boolean)


class Favorite(Base):
    __tablename__ = "favorites_favorite"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers_customer.id"))
    product_id: Mapped[str] = mapped_column(String)
    title: Mapped[str] = mapped_column(String)
    image_url: Mapped[str] = mapped_column(String)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    review_score: Mapped[float | None] = mapped_column(Float)
    brand: Mapped[str] = mapped_column(String)
    price_when_added: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    available: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FavoriteOut(BaseModel):
    model_config = {"from_attributes": True}
    product_id: str
    title: str
    image_url: str
    price: Decimal
    review_score: float | None
    brand: str
    price_when_added: Decimal
    available: bool
    created_at: datetime
    refreshed_at: datetime


class Page(BaseModel):
    count: int
    next: str | None
    previous: str | None
    results: list[FavoriteOut]


app = FastAPI()


def db():
    with Session(engine) as session:
        yield session


DB = Annotated[Session, Depends(db)]


def current(db: DB, authorization: Annotated[str, Header()] = "") -> Customer:
    try:
        claims = jwt.decode(authorization.removeprefix("Bearer "), KEY, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise HTTPException(401) from None
    if claims.get("token_type") != "access":
        raise HTTPException(401)
    user = db.get(Customer, int(claims["user_id"]))
    if user is None or not user.is_active:
        raise HTTPException(401)
    return user


@app.get("/api/v1/customers/{customer_id}/favorites/", response_model=Page)
def favorites(
    customer_id: int,
    user: Annotated[Customer, Depends(current)],
    db: DB,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
):
    if customer_id != user.id and not user.is_staff:
        raise HTTPException(404)
    where = Favorite.customer_id == customer_id
    count = db.scalar(select(func.count()).select_from(Favorite).where(where))
    rows = db.scalars(
        select(Favorite)
        .where(where)
        .order_by(Favorite.created_at.desc(), Favorite.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    next_page = f"?page={page + 1}" if page * page_size < count else None
    return Page(count=count, next=next_page, previous=None, results=rows)
