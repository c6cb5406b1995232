using ChatGateway.Abstractions;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.Sms.Media;

/// <summary>
/// <c>GET media/{attachmentId}?type=&amp;expires=&amp;sig=</c> under <c>/channels/{id}</c>: where Twilio fetches an agent's file
/// for an outbound MMS (see <see cref="MediaLinks"/>). No credentials (Twilio sends none); the signed link is the only key.
/// A bad, expired or tampered link and an unknown id all get the same empty 404.
/// </summary>
internal static class MediaEndpoint
{
    private const string LoggerCategory = "ChatGateway.Plugins.Sms.Media";

    public static IEndpointRouteBuilder MapTwilioMedia(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMethods("media/{attachmentId}", [HttpMethods.Get, HttpMethods.Head], new RequestDelegate(ServeAsync));
        return endpoints;
    }

    private static async Task ServeAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerCategory);
        var attachmentId = context.Request.RouteValues["attachmentId"] as string;
        var query = context.Request.Query;
        var type = query["type"].ToString();

        if (query["type"].Count != 1 || query["expires"].Count != 1 || query["sig"].Count != 1
            || !services.GetRequiredService<MediaLinks>().IsValid(attachmentId, type, query["expires"], query["sig"]))
        {
            Log.MediaNotServed(logger, "no valid signature");
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var store = services.GetService<IAttachmentStore>();
        var content = store is null ? null : await store.OpenReadAsync(attachmentId!, context.RequestAborted);
        if (content is null)
        {
            Log.MediaNotServed(logger, "no such attachment");
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        await using (content)
        {
            long? size = content.CanSeek ? content.Length - content.Position : null;
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = type;
            response.ContentLength = size;
            response.Headers.XContentTypeOptions = "nosniff";
            response.Headers.CacheControl = "private";
            Log.MediaServed(logger, attachmentId!, type, size);
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await content.CopyToAsync(response.Body, context.RequestAborted);
            }
        }
    }
}
