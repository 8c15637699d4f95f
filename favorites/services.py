class FavoriteAlreadyExists(Exception):
    """The product is already in this customer's favorites."""
