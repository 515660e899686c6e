package httpapi

import (
	"net/http"
	"sync/atomic"
	"time"
)

// VendorClock estimates the vendor's clock from the Date header of its responses, which every
// real server sends. Record times are the vendor's; a checkpoint bounded by our clock instead
// holds back (vendor ahead) or runs ahead of what the vendor can still add (vendor behind).
//
// Date has a resolution of one second and is written before the response travels, so
// Date - arrival is at most the true offset, and at most about a second under it: Now never
// runs ahead of the vendor. It is safe for concurrent use; the zero value knows nothing yet.
type VendorClock struct {
	offset atomic.Int64 // nanoseconds, vendor minus ours
	known  atomic.Bool
}

// Observe takes the Date header of a response that arrived at received (our clock); the client
// calls it for every response.
func (v *VendorClock) Observe(h http.Header, received time.Time) {
	if v == nil {
		return
	}
	date, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return
	}
	v.offset.Store(int64(date.Sub(received)))
	v.known.Store(true)
}

// Offset is the vendor's clock minus ours, as last measured; ok is false before any response
// carried a Date.
func (v *VendorClock) Offset() (offset time.Duration, ok bool) {
	if v == nil || !v.known.Load() {
		return 0, false
	}
	return time.Duration(v.offset.Load()), true
}

// Now is the vendor's time when ours is local; local itself until a Date was seen.
func (v *VendorClock) Now(local time.Time) time.Time {
	off, _ := v.Offset()
	return local.Add(off)
}

// VendorNow is the vendor's time now as far as its responses tell (see VendorClock); our own
// before the first response, or when the client measures no vendor clock.
func (c *Client) VendorNow() time.Time {
	return c.s.VendorClock.Now(c.s.Clock.Now())
}

// VendorClock is the vendor clock's offset from ours (see VendorClock.Offset); ok is false before
// any response carried a Date, or when the client measures none.
func (c *Client) VendorClock() (offset time.Duration, ok bool) {
	return c.s.VendorClock.Offset()
}
