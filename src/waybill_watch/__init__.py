"""waybill-watch: an analytics warehouse for the illegal trade in courier waybill information."""

__version__ = "0.1.0"
