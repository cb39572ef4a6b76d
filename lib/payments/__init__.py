"""Payment providers behind one interface: Razorpay and Stripe checkout, signed webhooks, refunds."""
