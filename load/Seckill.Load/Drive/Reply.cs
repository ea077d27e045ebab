using System.Text.Json;
using Seckill.Load.Measure;

namespace Seckill.Load.Drive;

/// <summary>What the tool reads from a response: the status, the problem <c>code</c>, and for
/// purchases and orders the order id, its status and the writer's time estimate.</summary>
public sealed record Reply(int Status, string? Code, long? OrderId = null, string? OrderStatus = null, long? EtaMs = null, long? UserId = null)
{
    public Outcome Outcome => new(Status, Code);

    public bool Acknowledged => Status is 201 or 202 && OrderId is not null;

    public static Reply NoResponse(string why) => new(0, why);

    public static Reply Parse(int status, ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return new Reply(status, null);
        }
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return new Reply(status, null);
            }
            string? code = null, orderStatus = null;
            long? orderId = null, eta = null, user = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                reader.Read();
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                }
                else if (name.SequenceEqual("code"u8) && reader.TokenType == JsonTokenType.String)
                {
                    code = reader.GetString();
                }
                else if (name.SequenceEqual("status"u8) && reader.TokenType == JsonTokenType.String)
                {
                    orderStatus = reader.GetString();
                }
                else if (name.SequenceEqual("orderId"u8))
                {
                    orderId = Id(ref reader);
                }
                else if (name.SequenceEqual("etaMs"u8) && reader.TokenType == JsonTokenType.Number)
                {
                    eta = reader.GetInt64();
                }
                else if (name.SequenceEqual("userId"u8))
                {
                    user = Id(ref reader);
                }
            }
            // A problem's "status" is the HTTP status number, never an order status.
            return new Reply(status, status >= 400 ? code : null, orderId, status >= 400 ? null : orderStatus, eta, user);
        }
        catch (JsonException)
        {
            return new Reply(status, "unreadable_body");
        }
    }

    /// <summary>Ids come as JSON strings (exact in any client); a number is read too.</summary>
    private static long? Id(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String when System.Buffers.Text.Utf8Parser.TryParse(reader.ValueSpan, out long id, out var used) && used == reader.ValueSpan.Length => id,
        JsonTokenType.Number => reader.GetInt64(),
        _ => null,
    };
}
