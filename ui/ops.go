package ui

// LiveClients is the number of dashboard websocket clients connected now
// (for metrics).
func (s *Server) LiveClients() int64 { return s.hub.clientCount() }
