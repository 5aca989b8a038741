package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// The notification router's own bookkeeping (which alerts it notified,
// when each group was last sent), so grouping, repeats and escalation go
// on where they were after a restart. It records no events: the dashboard
// shows the alerts and the outbox, not this.
//
//	notify_state   key -> the router's JSON
var bucketNotifyState = []byte("notify_state")

// NotifyStates returns every record whose key starts with prefix, values
// copied out of the transaction.
func (s *Store) NotifyStates(prefix string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketNotifyState).Cursor()
		p := []byte(prefix)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			out[string(k)] = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// SetNotifyStates writes and deletes (nil value) records in one
// transaction.
func (s *Store) SetNotifyStates(records map[string][]byte) error {
	if len(records) == 0 {
		return nil
	}
	return s.update(func(tx *bolt.Tx, _ *eventWriter) error {
		b := tx.Bucket(bucketNotifyState)
		for k, v := range records {
			var err error
			if v == nil {
				err = b.Delete([]byte(k))
			} else {
				err = b.Put([]byte(k), v)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}
