package store

import "context"

// Broadcaster is an optional interface of a Store shared between processes (Redis pub/sub): it carries
// messages, such as L1 invalidations, between the instances that use the same backend. A composite
// store detects it with a type assertion.
type Broadcaster interface {
	// Publish sends payload to every current subscriber of channel, this process's included. Delivery
	// order across publications is not guaranteed (on Redis Cluster a publication may travel through any
	// node), so messages must be meaningful in any order, as idempotent invalidations are.
	Publish(ctx context.Context, channel string, payload []byte) error
	// Subscribe starts receiving channel. It returns once the subscription is confirmed by the server.
	Subscribe(ctx context.Context, channel string) (Subscription, error)
}

// Subscription is a live Broadcaster subscription.
type Subscription interface {
	// Events delivers messages in order. Its first event is not a Resync; after the connection drops and
	// is re-established, a Resync event is delivered before any further message. The channel is closed
	// after Close.
	Events() <-chan Event
	// Close ends the subscription. It is idempotent.
	Close() error
}

// Event is a message, or the notice that messages may have been lost.
type Event struct {
	Payload []byte
	// Resync is true when the subscription was re-established after a drop: messages published in
	// between are lost, so the receiver must treat whatever they would have invalidated as stale.
	Resync bool
}
