using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.Hardening;

/// <summary>
/// Every endpoint the gateway maps (read from its own endpoint table, so a new endpoint is covered the day it
/// is added) gets a catalogue of malformed requests, signed out and signed in: no answer may be a 5xx, and no
/// answer body may carry a stack trace, an internal path, an exception name or a header value the caller sent.
/// Bad inputs tried: bodies (truncated, null, array, string, number, 10,000-deep nesting, invalid UTF-8, UTF-16
/// with and without a BOM, a NUL byte, a 200 KB string, duplicate JSON properties, a form with repeated fields,
/// multipart garbage), content types (JSON with unknown / UTF-32 / unterminated charsets, text/plain, form,
/// multipart without or with an empty boundary, a nonsense media type), headers (garbage cookie, a bogus visitor
/// token, Origin: null, a lying Content-Encoding, absurd Range / If-Modified-Since / Accept values), query strings
/// (bad percent-encoding, NUL, repeated parameters) and route values (not a GUID, an over-long id, dot segments).
/// </summary>
public sealed class BadInputTests
{
    private const string CookieMarker = "cg.agent=CfDJ8SecretCookieValueThatMustNotEcho";
    private const string TokenMarker = "tok_MustNotEchoThisVisitorToken_0123456789abcd";

    private static readonly (string Name, Func<HttpContent?> Body)[] Bodies =
    [
        ("none", () => null),
        ("truncated", () => Bytes("{\"text\":\"hi")),
        ("null", () => Bytes("null")),
        ("array", () => Bytes("[1,2,3]")),
        ("string", () => Bytes("\"text\"")),
        ("number", () => Bytes("12345678901234567890123456789")),
        ("deep", () => Bytes(new string('[', 10_000) + new string(']', 10_000))),
        ("invalid-utf8", () => new ByteArrayContent([0x7B, 0x22, 0x74, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0xFF, 0xFE, 0x22, 0x7D])),
        ("utf16-bom", () => new ByteArrayContent([.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("{\"text\":\"hi\"}")])),
        ("utf16-nobom", () => new ByteArrayContent(Encoding.Unicode.GetBytes("{\"text\":\"hi\"}"))),
        ("nul", () => Bytes("{\"text\":\"a\u0000b\",\"userName\":\"\u0000\",\"password\":\"\u0000\"}")),
        ("huge-string", () => Bytes("{\"text\":\"" + new string('x', 200_000) + "\"}")),
        ("duplicate-properties", () => Bytes("{\"text\":\"a\",\"text\":\"b\",\"userName\":\"alice\",\"userName\":\"bob\",\"password\":\"x\",\"presence\":\"online\",\"presence\":\"away\"}")),
        ("form-repeated", () => Bytes("Body=a&Body=b&From=%2B1&From=%2B2&MessageSid=SM1&MessageSid=SM2")),
        ("multipart-garbage", () => Bytes("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end")),
        ("wrong-types", () => Bytes("{\"text\":42,\"userName\":[],\"password\":{},\"presence\":true,\"toAgent\":1,\"toSkill\":false,\"note\":[],\"agent\":3,\"clientMessageId\":{}}")),
    ];

    private static readonly string?[] ContentTypes =
    [
        null,
        "application/json",
        "application/json; charset=klingon",
        "application/json; charset=utf-32",
        "application/json; charset=\"utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=klingon",
        "multipart/form-data",
        "multipart/form-data; boundary=\"\"",
        "garbage/;;;==",
    ];

    [Fact]
    public async Task EveryEndpoint_MalformedBodiesAndContentTypes_AnswersBelow500WithoutInternals()
    {
        await using var twilio = await FakeTwilioServer.StartAsync();
        await using var host = await GatewayHost.StartAsync(pluginsJson: GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString()));
        await using var agent = await host.SignInAsync("alice");
        var anonymous = host.CreateClient();
        var routes = Routes(host);
        Assert.True(routes.Count > 15, $"expected the gateway's endpoints, found {routes.Count}");

        var failures = new List<string>();
        foreach (var (method, path) in routes)
        {
            foreach (var client in new[] { anonymous, agent.Http })
            {
                foreach (var (bodyName, body) in Bodies)
                {
                    foreach (var contentType in ContentTypes)
                    {
                        if (body() is null && contentType is not null)
                        {
                            continue;
                        }

                        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = body() };
                        if (request.Content is not null)
                        {
                            request.Content.Headers.Remove("Content-Type");
                            if (contentType is not null)
                            {
                                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                            }
                        }

                        await SendAsync(client, request, $"{method} {path} body={bodyName} type={contentType ?? "(none)"}", failures);
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} bad answers:\n" + string.Join("\n", failures.Take(60)));
    }

    [Fact]
    public async Task EveryEndpoint_MalformedHeadersQueriesAndRouteValues_AnswersBelow500WithoutInternals()
    {
        await using var twilio = await FakeTwilioServer.StartAsync();
        await using var host = await GatewayHost.StartAsync(pluginsJson: GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString()));
        await using var agent = await host.SignInAsync("alice");
        var anonymous = host.CreateClient();
        var failures = new List<string>();
        var headerSets = new (string Name, (string Key, string Value)[] Headers)[]
        {
            ("cookie-garbage", [("Cookie", CookieMarker)]),
            ("visitor-token", [("X-Visitor-Token", TokenMarker)]),
            ("origin-null", [("Origin", "null")]),
            ("origin-evil", [("Origin", "https://evil.example")]),
            ("accept-odd", [("Accept", "application/x-nothing;q=abc, */*;q=-1")]),
            ("range", [("Range", "bytes=999999999-1,abc")]),
            ("if-modified", [("If-Modified-Since", "yesterday at noon")]),
            ("content-encoding-lie", [("Content-Encoding", "gzip")]),
            ("signature-garbage", [("X-Twilio-Signature", "%%%%"), ("Authorization", "Basic !!!")]),
            ("forwarded-garbage", [("X-Forwarded-For", "not-an-ip, ::::"), ("X-Forwarded-Proto", "gopher"), ("X-Forwarded-Host", "a b")]),
        };

        foreach (var (method, path) in Routes(host))
        {
            foreach (var client in new[] { anonymous, agent.Http })
            {
                foreach (var (name, headers) in headerSets)
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path);
                    if (method is "POST" or "PUT" or "PATCH")
                    {
                        request.Content = new StringContent("{\"text\":\"hi\"}", Encoding.UTF8, "application/json");
                    }

                    foreach (var (key, value) in headers)
                    {
                        if (!request.Headers.TryAddWithoutValidation(key, value))
                        {
                            request.Content?.Headers.TryAddWithoutValidation(key, value);
                        }
                    }

                    await SendAsync(client, request, $"{method} {path} headers={name}", failures);
                }

                foreach (var query in new[] { "?token=%ZZ%", "?token=%00", "?token=a&token=b", "?a=" + new string('x', 4000) })
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path + query);
                    await SendAsync(client, request, $"{method} {path}{query[..Math.Min(20, query.Length)]}", failures);
                }
            }
        }

        foreach (var path in new[]
        {
            "/api/conversations/not-a-guid", "/api/conversations/" + new string('1', 5000), "/api/conversations/00000000-0000-0000-0000-000000000000/messages",
            "/channels/webchat/conversations/not-a-guid", "/channels/webchat/conversations/%2e%2e%2f%2e%2e%2fappsettings.json",
            "/channels/..%2f..%2fappsettings.json", "/desk/..%2f..%2fappsettings.json", "/lib/%2e%2e/%2e%2e/appsettings.json", "/channels/nope/messages",
        })
        {
            foreach (var method in new[] { "GET", "POST", "PUT", "DELETE" })
            {
                foreach (var client in new[] { anonymous, agent.Http })
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "GET" ? null : new StringContent("{}", Encoding.UTF8, "application/json") };
                    await SendAsync(client, request, $"{method} {path[..Math.Min(60, path.Length)]}", failures);
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} bad answers:\n" + string.Join("\n", failures.Take(60)));
    }

    [Fact]
    public async Task UnknownApiRoute_AnswersJsonReason()
    {
        await using var host = await GatewayHost.StartAsync();
        using var http = host.CreateClient();

        var response = await http.DeleteAsync("/api/no-such-thing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("error").GetString()));
    }

    private static async Task SendAsync(HttpClient client, HttpRequestMessage request, string what, List<string> failures)
    {
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request);
        }
        catch (HttpRequestException ex)
        {
            // The server may close the connection on a request it will not read (an over-long body); that is a refusal, not a 500.
            if (ex.InnerException is IOException)
            {
                return;
            }

            failures.Add($"{what}: {ex.Message}");
            return;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            if (status >= 500 && !(status == 503 && what.Contains("/healthz", StringComparison.Ordinal)))
            {
                failures.Add($"{what}: {status} {text[..Math.Min(200, text.Length)]}");
            }
            else if (text.Contains("   at ", StringComparison.Ordinal) || text.Contains("/work/", StringComparison.Ordinal) || text.Contains("/tmp/", StringComparison.Ordinal)
                || text.Contains("Exception", StringComparison.Ordinal) || text.Contains("CfDJ8SecretCookie", StringComparison.Ordinal) || text.Contains(TokenMarker, StringComparison.Ordinal))
            {
                failures.Add($"{what}: {status} leaks internals: {text[..Math.Min(200, text.Length)]}");
            }
        }
    }

    /// <summary>Every (method, path) the running gateway maps, with route values filled in.</summary>
    private static List<(string Method, string Path)> Routes(GatewayHost host)
    {
        var routes = new List<(string, string)>();
        foreach (var endpoint in host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = endpoint.RoutePattern.RawText ?? "";
            var path = "/" + System.Text.RegularExpressions.Regex.Replace(pattern.TrimStart('/'), "\\{\\*\\*?[^}]*\\}", "x/y")
                .Replace("{id:guid}", Guid.NewGuid().ToString())
                .Replace("{conversationId}", Guid.NewGuid().ToString());
            path = System.Text.RegularExpressions.Regex.Replace(path, "\\{[^}]*\\}", "webchat");
            var methods = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET", "POST"];
            foreach (var method in methods)
            {
                routes.Add((method, path));
            }
        }

        return routes.Distinct().ToList();
    }

    private static ByteArrayContent Bytes(string text) => new(Encoding.UTF8.GetBytes(text));
}
