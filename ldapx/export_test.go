package ldapx

// SetScanLimits gives c's walks small container-scan limits (scanMin,
// maxPausedScans, page size), so that a test's small OUs take several
// pages, pauses and resumptions.
func SetScanLimits(c *Conn, min, paused int, page uint32) {
	c.scanTune = &scanLimits{min: min, paused: paused, page: page}
}

// WirePages is how many search pages c's second connection carried.
func WirePages(c *Conn) int64 { return c.wirePages.Load() }

// BreakWireDial makes c's second connection fail to dial (a DC that
// refuses another connection for the account), as if url answered.
func BreakWireDial(c *Conn, url string) { c.opts.URL = url }
