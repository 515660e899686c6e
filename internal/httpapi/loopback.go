package httpapi

// IsLoopback tells whether host (no port) is this machine: "localhost" or a loopback address.
// Cleartext to it does not travel over a network, so http:// is accepted there only.
func IsLoopback(host string) bool { return isLoopback(host) }
