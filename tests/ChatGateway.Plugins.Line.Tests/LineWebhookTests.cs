using System.Net;
using System.Net.Http.Headers;

using ChatGateway.Abstractions;
using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

using static ChatGateway.Plugins.Line.Tests.LineTestInstance;

namespace ChatGateway.Plugins.Line.Tests;

/// <summary>
/// The real webhook (Kestrel, the instance's container with its profile worker running) against a fake LINE: the
/// signature before anything else, pictures fetched before the message is stored, display names fetched once, after.
/// Bad inputs tried: a body signed with another secret, a body without a signature, a malformed body with a good
/// signature, content LINE fails (500) or no longer has (404), a profile LINE does not have.
/// </summary>
public sealed class LineWebhookTests : IAsyncLifetime
{
    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00, 0x01, 0xFF, 0xD9];
    private static readonly byte[] Png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, (byte)'I', (byte)'H', (byte)'D', (byte)'R'];

    private FakeLineServer _line = null!;
    private ChannelInstanceContainer _container = null!;
    private ChannelEndpointHost _host = null!;
    private IHostedService[] _workers = [];

    private RecordingInboundSink Inbound => _container.Inbound;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _line = await FakeLineServer.StartAsync(ChannelAccessToken, ct);
        _container = ChannelInstanceContainer.Build(new LineChannelPlugin(), "line", ValidSettings(_line));
        _workers = [.. _container.Services.GetServices<IHostedService>()];
        foreach (var worker in _workers)
        {
            await worker.StartAsync(ct);
        }

        _host = await ChannelEndpointHost.StartAsync(new LineChannelPlugin(), _container, ct);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.StopAsync(CancellationToken.None);
        }

        await _host.DisposeAsync();
        await _container.DisposeAsync();
        await _line.DisposeAsync();
    }

    private async Task<HttpStatusCode> PostAsync(byte[] body, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _host.UrlFor(_container.Instance, "webhook")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (signature is not null)
        {
            request.Headers.Add("x-line-signature", signature);
        }

        using var response = await _host.Client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private Task<HttpStatusCode> PostSignedAsync(byte[] body) => PostAsync(body, FakeLineServer.Sign(ChannelSecret, body));

    private static async Task<T> EventuallyAsync<T>(Func<T?> probe, string what)
        where T : class
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            if (probe() is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < until, $"timed out waiting for {what}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task Webhook_ForgedOrUnsigned_Is401_AndNothingIsParsedFetchedOrStored()
    {
        _line.AddContent("m1", Jpeg, "image/jpeg");
        var body = Body(MessageEvent("""{"type":"image","id":"m1","contentProvider":{"type":"line"}}""", User("U1"), DateTimeOffset.UtcNow));

        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(body, FakeLineServer.Sign("another-channel's-secret", body)));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(body, null));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(Utf8("{ not json"), FakeLineServer.Sign("another-channel's-secret", Utf8("{ not json"))));

        Assert.Equal(0, Inbound.Calls);
        Assert.Empty(_line.Requests);
    }

    [Fact]
    public async Task Webhook_VerifyCallWithoutEvents_Is200()
    {
        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(Utf8("""{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}""")));
        Assert.Equal(HttpStatusCode.BadRequest, await PostSignedAsync(Utf8("""{"destination":"U8e742f61d673b39c7fff3cecb7536ef0"}""")));
        Assert.Equal(0, Inbound.Calls);
    }

    [Fact]
    public async Task Webhook_Image_IsFetchedWithTheTokenAndStoredBeforeTheMessage()
    {
        _line.AddContent("354718705033693859", Jpeg, "image/jpeg");

        var status = await PostSignedAsync(Body(MessageEvent("""{"type":"image","id":"354718705033693859","contentProvider":{"type":"line"}}""", User("U1"), DateTimeOffset.UtcNow)));

        Assert.Equal(HttpStatusCode.OK, status);
        var message = Assert.Single(Inbound.Accepted);
        var picture = Assert.Single(message.Attachments!);
        Assert.Equal(("image/jpeg", "line-image-354718705033693859.jpg"), (picture.ContentType, picture.FileName));
        Assert.Equal(Jpeg, ((TempFolderAttachmentStore)_container.Attachments).ReadAllBytes(picture.Id));
        Assert.Contains(_line.Requests, r => r is { Path: "/v2/bot/message/354718705033693859/content", Status: 200 });
    }

    [Fact]
    public async Task Webhook_ContentFetchFails5xx_Is503SoLineRedelivers_AndNothingIsStored()
    {
        _line.AddContent("m2", Jpeg, "image/jpeg");
        _line.FailNextContent(500);
        var body = Body(MessageEvent(Text("m1", "here is the damage"), User("U1"), DateTimeOffset.UtcNow), MessageEvent("""{"type":"image","id":"m2"}""", User("U1"), DateTimeOffset.UtcNow));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await PostSignedAsync(body));
        Assert.Equal(0, Inbound.Calls);

        // The redelivery (LINE sends the same events again) stores both.
        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(body));
        Assert.Equal(["m1", "m2"], Inbound.Accepted.Select(m => m.ProviderMessageId));
    }

    [Fact]
    public async Task Webhook_ContentLineNoLongerHas_IsStoredAsUnsupportedContent()
    {
        var status = await PostSignedAsync(Body(MessageEvent("""{"type":"video","id":"m3","duration":6000}""", User("U1"), DateTimeOffset.UtcNow)));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(new UnsupportedContent { Kind = "video", Summary = "could not be fetched from LINE (LINE answered 404)" }, Assert.Single(Inbound.Accepted).Unsupported);
    }

    [Fact]
    public async Task Profile_IsFetchedOnceAfterTheMessage_AndReportedWithNameLanguageAndPicture()
    {
        _line.AddUser("U1", "林美玲", "zh-TW", Png);

        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(Body(MessageEvent(Text("m1", "hello"), User("U1"), DateTimeOffset.UtcNow))));
        var profile = await EventuallyAsync(() => _container.Profiles.Profiles.GetValueOrDefault("U1"), "the profile");
        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(Body(MessageEvent(Text("m2", "are you there?"), User("U1"), DateTimeOffset.UtcNow))));

        Assert.Equal(("林美玲", "zh-TW"), (profile.DisplayName, profile.Language));
        Assert.Equal(Png, ((TempFolderAttachmentStore)_container.Attachments).ReadAllBytes(profile.Avatar!.Id));
        // The first message came before the name was known; the second carries it, and LINE was asked once.
        Assert.Equal([null, "林美玲"], Inbound.Accepted.Select(m => m.Sender.DisplayName));
        Assert.Equal(1, _line.CountOf("/v2/bot/profile/U1"));
    }

    [Fact]
    public async Task Profile_LineHasNone_FailsNothing_AndIsNotAskedForAgainAtOnce()
    {
        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(Body(MessageEvent(Text("m1", "hello"), User("Ublocked"), DateTimeOffset.UtcNow))));
        await EventuallyAsync(() => _line.CountOf("/v2/bot/profile/Ublocked") == 1 ? "asked" : null, "the profile request");
        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(Body(MessageEvent(Text("m2", "hello?"), User("Ublocked"), DateTimeOffset.UtcNow))));

        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.Equal(1, _line.CountOf("/v2/bot/profile/Ublocked"));
        Assert.Empty(_container.Profiles.Updates);
        Assert.Equal(2, Inbound.Accepted.Count);
    }

    [Fact]
    public async Task GroupMessage_IsTheGroupsConversation_GroupNameReported_AndTheSpeakerNamedOnceKnown()
    {
        _line.AddUser("Umember", "Ken");
        _line.AddGroup("Cgroup", "團購群 Group buy", Png);
        _line.AddRoom("Rroom");

        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(Body(MessageEvent(Text("g1", "size M please"), Group("Cgroup", "Umember"), DateTimeOffset.UtcNow))));
        var group = await EventuallyAsync(() => _container.Profiles.Profiles.GetValueOrDefault("Cgroup"), "the group's profile");
        await EventuallyAsync(() => _line.CountOf("/v2/bot/group/Cgroup/member/Umember") == 1 ? "asked" : null, "the member's profile");
        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(Body(MessageEvent(Text("g2", "and size L"), Group("Cgroup", "Umember"), DateTimeOffset.UtcNow))));
        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(Body(MessageEvent(Text("r1", "hi from a room"), Room("Rroom", "Umember"), DateTimeOffset.UtcNow))));

        Assert.Equal("團購群 Group buy", group.DisplayName);
        Assert.NotNull(group.Avatar);
        var messages = Inbound.Accepted;
        Assert.Equal((null, null), (messages[0].Sender.DisplayName, messages[0].Chat!.Title));
        Assert.Equal(("Umember", "Ken", "團購群 Group buy"), (messages[1].Sender.ExternalId, messages[1].Sender.DisplayName, messages[1].Chat!.Title));
        Assert.Equal((ChatKind.Room, "Ken"), (messages[2].Chat!.Kind, messages[2].Sender.DisplayName));
        Assert.Equal(1, _line.CountOf("/v2/bot/group/Cgroup/summary"));
        // The member's name is known: the room asks for nothing more.
        Assert.Equal(0, _line.CountOf("/v2/bot/room/Rroom/member/Umember"));
    }
}
