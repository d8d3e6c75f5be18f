# Convenience aliases; `./run` is the real entry point (it needs only Python 3.11+).
.PHONY: dev test bench migrate seed
dev:
	./run dev
test:
	./run test
bench:
	./run bench
migrate:
	./run migrate
seed:
	./run seed
