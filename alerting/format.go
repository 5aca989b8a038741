package alerting

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Formatting for reasons and summaries. Reasons are read by people in a
// hurry: short, plain, and never raw customer text without excerpt().

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func handle(h string) string {
	if h == "" {
		return "the brand"
	}
	if !strings.HasPrefix(h, "@") {
		return "@" + h
	}
	return h
}

// fmtCount writes 48000 as "48k" and 1250000 as "1.2M".
func fmtCount(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10)
	case n < 10_000:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/1e3), ".0") + "k"
	case n < 1_000_000:
		return strconv.FormatInt((n+500)/1000, 10) + "k"
	default:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/1e6), ".0") + "M"
	}
}

// fmtDur writes durations the way people read them: "45m", "2h", "2h13m",
// and days past a day: "3d4h".
func fmtDur(d time.Duration) string {
	if d < time.Minute {
		return "<1m"
	}
	days := int(d / (24 * time.Hour))
	h := int(d % (24 * time.Hour) / time.Hour)
	m := int(d % time.Hour / time.Minute)
	var b strings.Builder
	if days > 0 {
		b.WriteString(strconv.Itoa(days) + "d")
		if h > 0 {
			b.WriteString(strconv.Itoa(h) + "h")
		}
		return b.String() // minutes do not matter once it is days
	}
	if h > 0 {
		b.WriteString(strconv.Itoa(h) + "h")
	}
	if m > 0 || h == 0 {
		b.WriteString(strconv.Itoa(m) + "m")
	}
	return b.String()
}

// excerpt returns the first n characters of s on one line, without control
// or bidi-override characters: it is shown to staff, in alerts and
// notifications, and must not be able to reorder or hide text.
func excerpt(s string, n int) string {
	var b strings.Builder
	count, space := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == unicode.ReplacementChar {
			space = b.Len() > 0
			continue
		}
		if count >= n {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		count++
	}
	return b.String()
}
