//go:build wasip1 && abi99

package main

//go:wasmexport abi_version
func abiVersion() uint32 { return 99 }
