using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

using ChatGateway.Testing;

namespace ChatGateway.Plugins.Sms.Tests;

/// <summary>The shared fake must answer like Twilio, or tests against it prove nothing.</summary>
public sealed class FakeTwilioServerTests : IAsyncLifetime
{
    private FakeTwilioServer _twilio = null!;
    private HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _twilio = await FakeTwilioServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        _client = new HttpClient { BaseAddress = _twilio.BaseAddress };
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _twilio.DisposeAsync();
    }

    [Fact]
    public async Task CreateMessage_ValidRequest_Answers201WithTwilioMessageJson()
    {
        using var response = await PostAsync(_twilio.AccountSid, _twilio.AuthToken, ("To", "+14155550123"), ("From", "+14155550100"), ("Body", "hi"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Matches("^SM[0-9a-f]{32}$", json.GetProperty("sid").GetString());
        Assert.Equal("queued", json.GetProperty("status").GetString());
        Assert.Equal("+14155550123", json.GetProperty("to").GetString());
        Assert.Equal("+14155550100", json.GetProperty("from").GetString());
        Assert.Equal("hi", json.GetProperty("body").GetString());
        Assert.Equal(_twilio.AccountSid, json.GetProperty("account_sid").GetString());
        Assert.True(DateTimeOffset.TryParse(json.GetProperty("date_created").GetString(), out _));
    }

    [Fact]
    public async Task CreateMessage_WrongPassword_Answers401Authenticate()
    {
        using var response = await PostAsync(_twilio.AccountSid, "wrong", ("To", "+14155550123"), ("From", "+14155550100"), ("Body", "hi"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(20003, json.GetProperty("code").GetInt32());
        Assert.Equal("Authenticate", json.GetProperty("message").GetString());
        Assert.Equal(401, json.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("To", 21604)]
    [InlineData("From", 21603)]
    [InlineData("Body", 21602)]
    public async Task CreateMessage_RequiredFieldMissing_Answers400WithTwilioCode(string missing, int code)
    {
        var fields = new[] { ("To", "+14155550123"), ("From", "+14155550100"), ("Body", "hi") }.Where(field => field.Item1 != missing).ToArray();

        using var response = await PostAsync(_twilio.AccountSid, _twilio.AuthToken, fields);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(code, json.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task FailNext_TwoRequests_FailsExactlyTwoAndRecordsAll()
    {
        _twilio.FailNext(2, 503);

        for (var i = 0; i < 3; i++)
        {
            using var _ = await PostAsync(_twilio.AccountSid, _twilio.AuthToken, ("To", "+14155550123"), ("From", "+14155550100"), ("Body", $"try {i}"));
        }

        Assert.Equal([503, 503, 201], _twilio.Requests.Select(request => request.ResponseStatus));
        Assert.Equal(["try 0", "try 1", "try 2"], _twilio.Requests.Select(request => request.Body));
    }

    [Fact]
    public async Task WaitForRequest_RequestArrivesLater_ReturnsIt()
    {
        var waiting = _twilio.WaitForRequestAsync(request => request.Body == "later", TimeSpan.FromSeconds(10));

        using var _ = await PostAsync(_twilio.AccountSid, _twilio.AuthToken, ("To", "+14155550123"), ("From", "+14155550100"), ("Body", "later"));

        Assert.Equal("later", (await waiting).Body);
    }

    [Fact]
    public async Task WaitForRequest_NothingMatches_TimesOut()
    {
        await Assert.ThrowsAsync<TimeoutException>(() => _twilio.WaitForRequestAsync(_ => true, TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task Media_WithoutCredentials_Answers401Authenticate_AndWithThemServesTheFile()
    {
        var url = _twilio.AddMedia("MM1", [1, 2, 3], "image/jpeg");

        using var anonymous = await _client.GetAsync(url, TestContext.Current.CancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_twilio.AccountSid}:{_twilio.AuthToken}")));
        using var authorised = await _client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(20003, (await anonymous.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("code").GetInt32());
        Assert.Equal(HttpStatusCode.OK, authorised.StatusCode);
        Assert.Equal("image/jpeg", authorised.Content.Headers.ContentType?.MediaType);
        Assert.Equal([1, 2, 3], await authorised.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.Matches($"^/2010-04-01/Accounts/{_twilio.AccountSid}/Messages/MM1/Media/ME[0-9a-f]{{32}}$", url.AbsolutePath);
    }

    [Fact]
    public async Task CreateMessage_TwoMediaUrlsWithoutBody_FetchesBothAndAnswers201()
    {
        _twilio.RequireMediaAuth = false; // public media URLs, as Twilio needs them to send
        var first = _twilio.AddMedia("MM1", [1, 2, 3], "image/jpeg");
        var second = _twilio.AddMedia("MM1", [4, 5], "image/png");

        using var response = await PostAsync(
            _twilio.AccountSid, _twilio.AuthToken, ("To", "+14155550123"), ("From", "+14155550100"), ("MediaUrl", first.ToString()), ("MediaUrl", second.ToString()));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("2", json.GetProperty("num_media").GetString());
        var recorded = Assert.Single(_twilio.Requests);
        Assert.Equal([first.ToString(), second.ToString()], recorded.MediaUrls);
        Assert.Equal([[1, 2, 3], [4, 5]], recorded.MediaFetches.Select(fetch => fetch.Content));
        Assert.Equal(["image/jpeg", "image/png"], recorded.MediaFetches.Select(fetch => fetch.ContentType));
    }

    [Fact]
    public async Task CreateMessage_MediaUrlThatDoesNotAnswer200_Answers400With11200()
    {
        var protectedUrl = _twilio.AddMedia("MM1", [1, 2, 3], "image/jpeg"); // 401 to Twilio's own fetch: no credentials

        using var response = await PostAsync(
            _twilio.AccountSid, _twilio.AuthToken, ("To", "+14155550123"), ("From", "+14155550100"), ("Body", "hi"), ("MediaUrl", protectedUrl.ToString()));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(11200, json.GetProperty("code").GetInt32());
        Assert.Equal(401, Assert.Single(Assert.Single(_twilio.Requests).MediaFetches).Status);
    }

    [Fact]
    public async Task CreateMessage_ElevenMediaUrls_Answers400With21623()
    {
        var fields = new List<(string, string)> { ("To", "+14155550123"), ("From", "+14155550100") };
        fields.AddRange(Enumerable.Range(0, 11).Select(i => ("MediaUrl", $"https://shop.example/{i}.jpg")));

        using var response = await PostAsync(_twilio.AccountSid, _twilio.AuthToken, [.. fields]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(21623, json.GetProperty("code").GetInt32());
        Assert.Empty(Assert.Single(_twilio.Requests).MediaFetches);
    }

    private Task<HttpResponseMessage> PostAsync(string username, string password, params (string Name, string Value)[] fields)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"2010-04-01/Accounts/{_twilio.AccountSid}/Messages.json")
        {
            Content = new FormUrlEncodedContent(fields.Select(field => new KeyValuePair<string, string>(field.Name, field.Value))),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
        return _client.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
