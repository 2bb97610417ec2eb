// Package e2e holds end-to-end tests that run the gateway binary as a real
// process against the Intercom simulator on loopback: crash recovery with
// kill -9, a full disk, and the other failures durable delivery must
// survive. The package has no code besides its tests.
package e2e
