"""Question banks for trainers: forms for every graded kind, retiring, GIFT upload with a preview, GIFT download."""
