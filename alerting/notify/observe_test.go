package notify

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

// The Observe hook (metrics) hears each attempt's outcome by receiver:
// a retry, then a delivery, and a refusal given up.
func TestDispatcherObserveReportsOutcomes(t *testing.T) {
	c := newFakeClock()
	st, _ := openStore(t, c)
	var mu sync.Mutex
	tries := 0
	f := newFakeReceiver(t, func(r recorded) (int, http.Header, string) {
		mu.Lock()
		defer mu.Unlock()
		switch webhookKey(r) {
		case alertN(1).ID + "/trigger":
			tries++
			if tries == 1 {
				return 503, nil, "busy"
			}
			return 200, nil, ""
		default:
			return 400, nil, "no"
		}
	})
	var omu sync.Mutex
	outcomes := map[string]int{}
	d := NewDispatcher(st, map[string]Notifier{"hook": hookNotifier(t, c, f.URL)}, nil, c.Now, DispatcherOptions{
		NewTimer: c.NewTimer, Rand: func() float64 { return 0 },
		Observe: func(receiver, outcome string) {
			omu.Lock()
			outcomes[receiver+"/"+outcome]++
			omu.Unlock()
		},
	})
	for i := 1; i <= 2; i++ {
		if err := d.Enqueue(alertN(i), []string{"hook"}, Trigger); err != nil {
			t.Fatal(err)
		}
	}
	defer run(t, func(ctx context.Context) { d.Run(ctx) })()
	// The outcome is reported just after the store records it.
	waitFor(t, "three outcomes", func() bool {
		c.Advance(time.Minute) // past the retry backoff, on the injected clock
		omu.Lock()
		defer omu.Unlock()
		return outcomes["hook/retry"]+outcomes["hook/delivered"]+outcomes["hook/failed"] >= 3
	})
	omu.Lock()
	defer omu.Unlock()
	want := map[string]int{"hook/retry": 1, "hook/delivered": 1, "hook/failed": 1}
	for k, v := range want {
		if outcomes[k] != v {
			t.Errorf("outcomes %v, want %v", outcomes, want)
			break
		}
	}
}
