package digest

import (
	"fmt"
	"time"
)

// maxExcerpt bounds a complaint's text in a digest, in characters.
const maxExcerpt = 280

// fmtDuration is a short human duration: 45s, 12m, 3h05m, 2d4h.
func fmtDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0m"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		if m := int(d % time.Hour / time.Minute); m != 0 {
			return fmt.Sprintf("%dh%02dm", int(d/time.Hour), m)
		}
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	if h := int(d % (24 * time.Hour) / time.Hour); h != 0 {
		return fmt.Sprintf("%dd%dh", int(d/(24*time.Hour)), h)
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// pct formats a share as a percentage.
func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }

// change describes cur against prev: "+12%", "-3%", "new", "=".
func change(cur, prev int) string {
	switch {
	case cur == prev:
		return "="
	case prev == 0:
		return "new"
	}
	return fmt.Sprintf("%+.0f%%", 100*float64(cur-prev)/float64(prev))
}

// pointChange describes a change of a share in percentage points.
func pointChange(cur, prev float64) string {
	d := 100 * (cur - prev)
	if d > -0.05 && d < 0.05 {
		return "="
	}
	return fmt.Sprintf("%+.1f pt", d)
}
