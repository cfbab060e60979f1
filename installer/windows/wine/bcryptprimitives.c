/*
 * Test-only stand-in for bcryptprimitives.dll under Wine 8, which lacks ProcessPrng
 * (imported by Rust's standard library since 1.78): forwards to RtlGenRandom
 * (advapi32!SystemFunction036). installer/test-windows.sh builds it with MinGW-w64 and
 * puts it beside the installed comptoir.exe; it is never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x7fffffff ? 0x7fffffff : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
