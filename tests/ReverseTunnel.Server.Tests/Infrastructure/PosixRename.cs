using System.Runtime.InteropServices;

namespace ReverseTunnel.Server.Tests.Infrastructure;

/// <summary>
/// rename(2), which replaces a symlink atomically without following it, as the kubelet swaps
/// <c>..data</c>. File.Move and Directory.Move follow a symlink to a directory.
/// </summary>
internal static partial class PosixRename
{
    public static void Replace(string source, string destination)
    {
        if (Rename(source, destination) != 0)
        {
            throw new IOException($"rename({source}, {destination}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport needs unsafe code enabled in the test project; this one call does not warrant it.
    private static extern int Rename([MarshalAs(UnmanagedType.LPUTF8Str)] string source, [MarshalAs(UnmanagedType.LPUTF8Str)] string destination);
#pragma warning restore SYSLIB1054
}
