// Package queue holds accepted events until a delivery worker takes them,
// and keeps the order of each contact's events.
//
// Every event has an ordering key (the destination and the contact key).
// All events of one key go to the same shard, and each shard is drained by
// exactly one worker in arrival order, so a contact's events are delivered
// in the order they were received while different shards run in parallel.
// A worker that must retry an event keeps it at the head of its shard, so
// no later event of the same contact overtakes it.
package queue
