// Package gateway assembles the delivery pipeline: the ingestion API feeds
// an ordered queue, delivery workers run each event through the mapping
// plugin, and the plugin's requests go to Intercom through one client per
// destination.
//
// Contract: events of one contact are delivered in the order received;
// different contacts are delivered in parallel by Config.Workers workers;
// all workers of a destination share its client, so Intercom's rate limit
// is paced once per access token. Every delivery ends in one outcome of
// package mapping, counted in /metrics and logged when it is not
// "delivered".
package gateway
