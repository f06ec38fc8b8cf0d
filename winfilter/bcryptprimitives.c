/*
 * A stand-in bcryptprimitives.dll for Wine 8.0, which lacks it: every Go
 * windows/amd64 program loads ProcessPrng from it at start. Test use only
 * (scripts/winfilter-test copies it into the Wine prefix's system32);
 * never ship it to a real Windows machine, which has the real one.
 */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE p, SIZE_T n)
{
	while (n > 0) {
		ULONG chunk = n > 0x40000000 ? 0x40000000 : (ULONG)n;
		if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, p, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
			return FALSE;
		p += chunk;
		n -= chunk;
	}
	return TRUE;
}
