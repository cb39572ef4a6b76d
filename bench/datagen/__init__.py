"""The bench data set: production-like volume, Zipf-skewed users, loaded with COPY (`-m bench.datagen`)."""
