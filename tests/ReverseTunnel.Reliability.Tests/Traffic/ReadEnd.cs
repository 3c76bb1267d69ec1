using System.Net.Sockets;

namespace ReverseTunnel.Reliability.Tests.Traffic;

/// <summary>How a read to the end went: the octets and their SHA-256 up to the end, and the socket error if it was not a FIN.</summary>
internal readonly record struct ReadEnd(long Length, string Sha256, byte[] Head, SocketError? Error);
