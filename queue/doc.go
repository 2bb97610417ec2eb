// Package queue is the gateway's durable queue: accepted events wait in a
// bbolt file until a delivery worker has finished with them.
//
// Contract: Accept returns only after the events are committed and synced
// to disk, so an acknowledged event survives a crash. Concurrent Accept
// calls share one commit (group commit), which keeps ingestion fast. Every
// event has an ordering key (destination and contact key); Next hands out
// the oldest pending event of a key, and never two events of one key at
// once, so a contact's events are delivered in the order received while
// different contacts run in parallel. A retried event stays at the head of
// its key with its retry state on disk. Events whose delivery failed for
// good move to a dead-letter bucket, from which they can be replayed.
package queue
