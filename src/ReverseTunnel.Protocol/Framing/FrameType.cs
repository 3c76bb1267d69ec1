namespace ReverseTunnel.Protocol.Framing;

/// <summary>Frame types of protocol version 1. Unknown types are skipped by the receiver.</summary>
public enum FrameType : byte
{
    /// <summary>Stream bytes. Flag <see cref="FrameFlags.EndStream"/> half-closes the sender's direction.</summary>
    Data = 0x0,

    /// <summary>Opens a stream. The payload is empty in v1; a receiver ignores any payload.</summary>
    Open = 0x1,

    /// <summary>Adds credit to a stream window (stream id &gt; 0) or to the session window (stream id 0).</summary>
    WindowUpdate = 0x2,

    /// <summary>Abortive close of both directions of one stream, with an <see cref="ErrorCode"/>.</summary>
    Reset = 0x3,

    /// <summary>The sender will open no more streams; carries an error code and a reason.</summary>
    GoAway = 0x4,

    /// <summary>The first frame each side sends: its settings.</summary>
    Hello = 0x5,

    /// <summary>
    /// The sender has data for a stream and no stream credit left (empty payload). Advisory: the
    /// receiver may answer with more credit than the window it announced. A receiver that does not
    /// know the type skips it (section 6.3 of docs/protocol.md), so it needs no new version.
    /// </summary>
    Blocked = 0x6,
}
