//go:build wasip1 && inittrap

package main

func init() { panic("hostile plugin fails during _initialize on purpose") }
