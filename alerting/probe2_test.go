package alerting

import (
	"fmt"
	"testing"
)

func TestProbeSim(t *testing.T) {
	x := newCaseIndex(caseWindow, caseLimit)
	sim := func(a, b string) {
		ma := scored("mastodon", "m", "1", "u", a, true, t0)
		mb := scored("mastodon", "m", "2", "u", b, true, t0)
		sa, _ := x.signature(&ma)
		sb, _ := x.signature(&mb)
		if sa == nil || sb == nil {
			fmt.Println("nil sig")
			return
		}
		eq := 0
		for i := range sa {
			if sa[i] == sb[i] {
				eq++
			}
		}
		fmt.Printf("%.2f  %.40q | %.40q\n", float64(eq)/float64(len(sa)), a, b)
	}
	sim(budiText, "udah 3 hari paket belum sampai, kecewa banget min. resi KX12345 gak gerak sama sekali dari gudang #kilat https://bsky.app/x")
	sim(budiText, "parah! "+budiText)
	sim("paket saya belum sampai juga sudah seminggu, resi KX12345 tolong dicek min", "paket saya belum sampai juga sudah seminggu, resi JT99887 tolong dicek min")
	sim(budiText, "paket saya belum sampai juga sudah seminggu, resi KX12345 tolong dicek min")
	sim("aplikasi error terus pas mau bayar, saldo kepotong tapi pesanan gagal, tolong refund", "aplikasi error terus pas mau bayar, saldo kepotong tapi pesanan gagal")
	sim("Ordered 3 weeks ago and my package still hasn't arrived. Worst service ever, I want a refund.", "RT @x: Ordered 3 weeks ago and my package still hasn't arrived. Worst service ever, I want a refund. https://t.co/abc")
	sim("my order arrived broken and support never answered my emails, want a refund now", "my order arrived late and the courier was rude, want a refund now")
}
