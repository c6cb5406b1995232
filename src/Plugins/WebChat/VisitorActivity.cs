using System.Collections.Concurrent;
using System.Text.Json;
using ChatGateway.Abstractions;

namespace ChatGateway.Plugins.WebChat;

/// <summary>
/// A visitor's typing and read reports, held to a few a second per visitor (all their tabs together): the widget sends
/// "typing" every ~2 s while the visitor types and "stopped" once; more than <see cref="MaxFramesPerSecond"/> frames a
/// second are dropped, a repeated "typing" within <see cref="TypingRepeat"/> is not passed on (the desk shows it for
/// ~6 s), and a "stopped" only after a "typing" that was. A read report is passed on at most once per <see cref="ReadInterval"/>.
/// </summary>
internal sealed class VisitorActivity(TimeProvider time)
{
    public const int MaxFramesPerSecond = 4;
    public static readonly TimeSpan TypingRepeat = TimeSpan.FromMilliseconds(1500);
    public static readonly TimeSpan ReadInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, State> _visitors = new(StringComparer.Ordinal);

    /// <summary>Frames dropped or not passed on since start (for tests and a curious operator).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    private long _dropped;

    /// <summary>Whether this typing report goes on to the gateway.</summary>
    public bool ShouldPassOnTyping(string visitorId, bool typing)
    {
        var state = _visitors.GetOrAdd(visitorId, _ => new State());
        var now = time.GetUtcNow();
        lock (state)
        {
            var pass = Counted(state, now) && (typing
                ? !state.Typing || now - state.TypingSentAt >= TypingRepeat
                : state.Typing);
            if (pass)
            {
                state.Typing = typing;
                state.TypingSentAt = now;
            }
            else
            {
                Interlocked.Increment(ref _dropped);
            }

            return pass;
        }
    }

    /// <summary>Null when this read report goes on; otherwise how long the visitor should wait.</summary>
    public TimeSpan? ReadWait(string visitorId)
    {
        var state = _visitors.GetOrAdd(visitorId, _ => new State());
        var now = time.GetUtcNow();
        lock (state)
        {
            var wait = state.ReadAt + ReadInterval - now;
            if (wait > TimeSpan.Zero)
            {
                Interlocked.Increment(ref _dropped);
                return wait;
            }

            state.ReadAt = now;
            return null;
        }
    }

    /// <summary>The visitor's last connection here closed: nothing more to limit (a "stopped" is owed if they were typing).</summary>
    public bool Forget(string visitorId) => _visitors.TryRemove(visitorId, out var state) && state.Typing;

    private static bool Counted(State state, DateTimeOffset now)
    {
        if (now - state.WindowStart >= TimeSpan.FromSeconds(1))
        {
            state.WindowStart = now;
            state.Frames = 0;
        }

        return ++state.Frames <= MaxFramesPerSecond;
    }

    /// <summary>
    /// Reads a frame the widget sent on its socket: <c>{"type":"typing","typing":true|false}</c>. Anything else (not JSON,
    /// another type, no boolean) is null and ignored.
    /// </summary>
    public static bool? ParseTyping(ReadOnlySpan<byte> frame)
    {
        try
        {
            var reader = new Utf8JsonReader(frame);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("typing")
                && root.TryGetProperty("typing", out var typing) && typing.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? typing.GetBoolean()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed class State
    {
        public DateTimeOffset WindowStart;
        public int Frames;
        public bool Typing;
        public DateTimeOffset TypingSentAt;
        public DateTimeOffset ReadAt = DateTimeOffset.MinValue;
    }
}

/// <summary>Shows the visitor that the agent is typing, or has read their messages ("Read" under them).</summary>
internal sealed class WebChatActivityObserver(VisitorConnections connections) : IConversationActivityObserver
{
    public Task OnAgentActivityAsync(AgentActivity activity, CancellationToken cancellationToken) => activity.Kind switch
    {
        ConversationActivityKind.Read => connections.SendAsync(activity.Recipient.ExternalId, new
        {
            type = "read",
            conversationId = activity.ConversationId,
            readUpTo = activity.ReadUpTo,
        }, cancellationToken),
        _ => connections.SendAsync(activity.Recipient.ExternalId, new
        {
            type = "typing",
            conversationId = activity.ConversationId,
            typing = activity.Kind == ConversationActivityKind.TypingStarted,
        }, cancellationToken),
    };
}
