using Microsoft.AspNetCore.Http.Json;

namespace ChatGateway.Gateway.Web;

/// <summary>
/// What every error answer looks like from outside: a status code and <c>{ "error": "reason" }</c>, never a
/// stack trace, an internal path or the request's headers, in any environment (the developer exception page
/// never gets to see an exception: this middleware sits inside it and answers first).
/// </summary>
internal static partial class ErrorHandling
{
    public static IServiceCollection AddGatewayErrorHandling(this IServiceCollection services)
    {
        // Minimal APIs throw on a request they cannot bind (so the reason reaches the caller) in every environment,
        // instead of answering an empty 400 outside Development.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        // A JSON body that names a property twice is ambiguous: refused instead of "last one wins".
        services.Configure<JsonOptions>(o => o.SerializerOptions.AllowDuplicateProperties = false);
        return services;
    }

    /// <summary>Catches what an endpoint threw and answers it; adds a reason to bodiless 4xx answers of the API.</summary>
    public static IApplicationBuilder UseGatewayErrorHandling(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("ChatGateway.Gateway.Web.Errors");
        app.Use(async (http, next) =>
        {
            try
            {
                await next(http);
            }
            catch (Exception ex) when (http.RequestAborted.IsCancellationRequested && ex is OperationCanceledException or IOException)
            {
                // The caller went away; nobody is left to answer.
            }
            catch (Exception ex)
            {
                var (status, reason) = Classify(ex, http.TraceIdentifier);
                if (status >= 500)
                {
                    LogUnhandled(logger, ex, http.Request.Method, http.Request.Path.Value ?? "");
                }
                else
                {
                    LogRefused(logger, status, http.Request.Method, http.Request.Path.Value ?? "", ex.GetType().Name);
                }

                if (http.Response.HasStarted)
                {
                    http.Abort();
                    return;
                }

                http.Response.Clear();
                http.Response.StatusCode = status;
                http.Response.Headers.CacheControl = "no-store";
                await http.Response.WriteAsJsonAsync(new ErrorDto(reason));
            }
        });

        // A 4xx/5xx without a body (unknown route, wrong method, a framework refusal) gets a reason too.
        app.UseStatusCodePages(async context =>
        {
            var response = context.HttpContext.Response;
            if (response.ContentLength is > 0 || response.ContentType is not null)
            {
                return;
            }

            response.Headers.CacheControl = "no-store";
            await response.WriteAsJsonAsync(new ErrorDto(ReasonOf(response.StatusCode)));
        });
        return app;
    }

    private static (int Status, string Reason) Classify(Exception ex, string traceId) => ex switch
    {
        BadHttpRequestException bad => (bad.StatusCode, Reason(bad)),
        // A plugin that let the sink's refusal through: still the caller's mistake, with the sink's reason.
        Abstractions.InboundRejectedException rejected => (StatusCodes.Status400BadRequest, rejected.Message),
        // A form read from a body that is not a form.
        InvalidOperationException when ex.Message.Contains("Content-Type", StringComparison.OrdinalIgnoreCase) => (StatusCodes.Status415UnsupportedMediaType, "unsupported Content-Type for this endpoint"),
        // The framework's JSON reader refuses a charset it does not know, or a body it cannot read as JSON.
        InvalidOperationException when ex.Message.Contains("charset", StringComparison.OrdinalIgnoreCase) => (StatusCodes.Status415UnsupportedMediaType, "the request's charset is not supported; send UTF-8"),
        System.Text.Json.JsonException => (StatusCodes.Status400BadRequest, "malformed JSON"),
        System.Text.DecoderFallbackException => (StatusCodes.Status400BadRequest, "the body is not valid text in its charset"),
        InvalidDataException => (StatusCodes.Status400BadRequest, "malformed request body"),
        FormatException => (StatusCodes.Status400BadRequest, "malformed request"),
        _ => (StatusCodes.Status500InternalServerError, "internal error; the gateway logged it (trace id " + traceId + ")"),
    };

    /// <summary>The framework's reason, without anything of the request echoed back beyond parameter names.</summary>
    private static string Reason(BadHttpRequestException ex)
    {
        var message = ex.Message;
        return message.Length > 300 ? message[..300] : message;
    }

    private static string ReasonOf(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "bad request",
        StatusCodes.Status401Unauthorized => "sign in first",
        StatusCodes.Status403Forbidden => "not allowed",
        StatusCodes.Status404NotFound => "not found",
        StatusCodes.Status405MethodNotAllowed => "method not allowed here",
        StatusCodes.Status406NotAcceptable => "not acceptable",
        StatusCodes.Status408RequestTimeout => "the request took too long",
        StatusCodes.Status411LengthRequired => "Content-Length is required",
        StatusCodes.Status413PayloadTooLarge => "request body too large",
        StatusCodes.Status414RequestUriTooLong => "URL too long",
        StatusCodes.Status415UnsupportedMediaType => "unsupported Content-Type",
        StatusCodes.Status429TooManyRequests => "too many requests; try again later",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "request headers too large",
        StatusCodes.Status503ServiceUnavailable => "not ready; try again shortly",
        _ => status < 500 ? "refused" : "internal error",
    };

    [LoggerMessage(EventId = 9000, Level = LogLevel.Error, Message = "Unhandled error answering {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(EventId = 9001, Level = LogLevel.Debug, Message = "Refused {Method} {Path} with {Status}: {Kind}")]
    private static partial void LogRefused(ILogger logger, int status, string method, string path, string kind);
}
