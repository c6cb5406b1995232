using System.Net;
using System.Net.Http.Json;
using System.Threading.Channels;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.FollowUps.Callbacks;
using ChatGateway.Gateway.Web;
using Microsoft.AspNetCore.SignalR.Client;

namespace ChatGateway.Gateway.Tests.Infrastructure;

/// <summary>An agent signed in through the API with the desk's live connection open, as the desk page does.</summary>
public sealed class AgentSession : IAsyncDisposable
{
    private readonly Channel<ConversationDto> _assigned = Channel.CreateUnbounded<ConversationDto>();
    private readonly Channel<(Guid ConversationId, MessageDto Message)> _messages = Channel.CreateUnbounded<(Guid, MessageDto)>();
    private readonly Channel<(Guid ConversationId, MessageDto Message)> _statuses = Channel.CreateUnbounded<(Guid, MessageDto)>();
    private readonly Channel<Guid> _closed = Channel.CreateUnbounded<Guid>();
    private readonly Channel<Guid> _removed = Channel.CreateUnbounded<Guid>();
    private readonly Channel<Guid> _overdue = Channel.CreateUnbounded<Guid>();
    private readonly Channel<PromiseAlertDto> _promisesDue = Channel.CreateUnbounded<PromiseAlertDto>();
    private readonly Channel<PromiseAlertDto> _promisesUnkept = Channel.CreateUnbounded<PromiseAlertDto>();

    private AgentSession(HttpClient http, HubConnection hub, AgentDto agent)
    {
        Http = http;
        Hub = hub;
        Agent = agent;
    }

    public HttpClient Http { get; }

    public HubConnection Hub { get; }

    public AgentDto Agent { get; }

    public static async Task<AgentSession> StartAsync(Uri baseAddress, string userName, string password, bool online)
    {
        var cookies = new CookieContainer();
        var http = new HttpClient(new SocketsHttpHandler { CookieContainer = cookies }) { BaseAddress = baseAddress };
        var login = await http.PostAsJsonAsync("/api/auth/login", new { userName, password });
        login.EnsureSuccessStatusCode();
        var agent = (await login.Content.ReadFromJsonAsync<AgentDto>())!;

        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(baseAddress, "/hubs/agent"), o => o.Cookies = cookies)
            .Build();
        var session = new AgentSession(http, hub, agent);
        hub.On<ConversationDto>("conversationAssigned", c => session._assigned.Writer.TryWrite(c));
        hub.On<Guid, MessageDto>("messageAdded", (id, m) => session._messages.Writer.TryWrite((id, m)));
        hub.On<Guid, MessageDto>("messageStatusChanged", (id, m) => session._statuses.Writer.TryWrite((id, m)));
        hub.On<Guid>("conversationClosed", id => session._closed.Writer.TryWrite(id));
        hub.On<Guid>("conversationRemoved", id => session._removed.Writer.TryWrite(id));
        hub.On<Guid, Guid>("responseOverdue", (id, _) => session._overdue.Writer.TryWrite(id));
        hub.On<PromiseAlertDto>("promiseDue", p => session._promisesDue.Writer.TryWrite(p));
        hub.On<PromiseAlertDto>("promiseUnkept", p => session._promisesUnkept.Writer.TryWrite(p));
        await hub.StartAsync();
        if (online)
        {
            await session.SetPresenceAsync("online");
        }

        return session;
    }

    public async Task<AgentDto> SetPresenceAsync(string presence)
    {
        var response = await Http.PutAsJsonAsync("/api/agents/me/presence", new { presence });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<AgentDto>())!;
    }

    public Task<ConversationDto> NextAssignedAsync(TimeSpan? timeout = null) => ReadAsync(_assigned, _ => true, timeout);

    public Task<(Guid ConversationId, MessageDto Message)> NextMessageAsync(Func<MessageDto, bool> match, TimeSpan? timeout = null) =>
        ReadAsync(_messages, m => match(m.Message), timeout);

    public Task<(Guid ConversationId, MessageDto Message)> NextStatusAsync(Func<MessageDto, bool> match, TimeSpan? timeout = null) =>
        ReadAsync(_statuses, m => match(m.Message), timeout);

    public Task<Guid> NextClosedAsync(TimeSpan? timeout = null) => ReadAsync(_closed, _ => true, timeout);

    public Task<Guid> NextRemovedAsync(TimeSpan? timeout = null) => ReadAsync(_removed, _ => true, timeout);

    public Task<Guid> NextOverdueAsync(TimeSpan? timeout = null) => ReadAsync(_overdue, _ => true, timeout);

    public Task<PromiseAlertDto> NextPromiseDueAsync(TimeSpan? timeout = null) => ReadAsync(_promisesDue, _ => true, timeout);

    public Task<PromiseAlertDto> NextPromiseUnkeptAsync(TimeSpan? timeout = null) => ReadAsync(_promisesUnkept, _ => true, timeout);

    /// <summary>The promise reminders received so far and not read.</summary>
    public int PromisesDueUnread => _promisesDue.Reader.Count;

    /// <summary>True when nothing was assigned live within the wait.</summary>
    public async Task<bool> NothingAssignedWithinAsync(TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            await _assigned.Reader.WaitToReadAsync(cts.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public async Task<MessageDto> ReplyAsync(Guid conversationId, string text)
    {
        var response = await Http.PostAsJsonAsync($"/api/conversations/{conversationId}/messages", new { text });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<MessageDto>())!;
    }

    public async Task CloseAsync(Guid conversationId)
    {
        var response = await Http.PostAsync($"/api/conversations/{conversationId}/close", null);
        response.EnsureSuccessStatusCode();
    }

    public async Task<List<ConversationDto>> ListAsync() =>
        (await Http.GetFromJsonAsync<List<ConversationDto>>("/api/conversations"))!;

    private static async Task<T> ReadAsync<T>(Channel<T> channel, Func<T, bool> match, TimeSpan? timeout)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        try
        {
            while (true)
            {
                var item = await channel.Reader.ReadAsync(cts.Token);
                if (match(item))
                {
                    return item;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no matching live event within {(timeout ?? TimeSpan.FromSeconds(15)).TotalSeconds} s");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Hub.DisposeAsync();
        Http.Dispose();
    }
}
