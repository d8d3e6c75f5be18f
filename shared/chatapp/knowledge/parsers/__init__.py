"""Format readers behind `chatapp.knowledge.parsing`. Import that module, not these: it picks the
reader, numbers the blocks and turns library errors into customer-facing ParseErrors."""
