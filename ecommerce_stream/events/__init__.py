"""The event contract of `order.events`, shared by the producer (orders) and every consumer
(analytics): the Records, their decoding, and the upcasting of older schema versions."""
