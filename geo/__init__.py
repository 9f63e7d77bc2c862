"""Geography: CRS handling, vector file reading, belts and map builders. Never imports streamlit,
never reads the database."""
