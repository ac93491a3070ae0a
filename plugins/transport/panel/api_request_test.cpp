#include "api_request.hpp"

#include <gtest/gtest.h>

using namespace profo;
using namespace profo::panel;
using nlohmann::json;

namespace {

sdk::HttpRequest request(std::string query, std::string body, std::map<std::string, std::string> path = {}) {
    sdk::HttpRequest r;
    r.method = "POST";
    r.query = std::move(query);
    r.body = std::move(body);
    r.path_params = std::move(path);
    return r;
}

sdk::AdminOperation op(std::string content_type = {}) {
    sdk::AdminOperation o{"things.make", "make a thing", "POST", "/things/{thing_id}"};
    o.request_content_type = std::move(content_type);
    return o;
}

int refusal_status(const std::function<void()>& f) {
    try {
        f();
    } catch (const ApiRefusal& e) {
        return e.status();
    }
    return 0;
}

}  // namespace

TEST(OperationArguments, MergePathQueryAndBodyButNeverTheAccount) {
    const auto args = operation_arguments(
        op(), request("limit=5&name=a%20b", R"({"max_uses": 3})", {{"account_id", "7"}, {"thing_id", "12"}}));
    EXPECT_EQ(args, (json{{"thing_id", "12"}, {"limit", "5"}, {"name", "a b"}, {"max_uses", 3}}));
}

TEST(OperationArguments, RefuseWhatCannotBeReadNamingIt) {
    EXPECT_EQ(refusal_status([] { operation_arguments(op(), request("", "{not json")); }), 400);
    EXPECT_EQ(refusal_status([] { operation_arguments(op(), request("", "[1,2]")); }), 400);
    EXPECT_EQ(refusal_status([] { operation_arguments(op(), request("a=%zz", "")); }), 400);
    EXPECT_EQ(refusal_status([] { operation_arguments(op(), request("a=1&a=2", "")); }), 400);
    try {
        operation_arguments(op(), request("", R"({"thing_id": 13})", {{"thing_id", "12"}}));
        FAIL() << "a body that contradicts the path was accepted";
    } catch (const ApiRefusal& e) {
        EXPECT_EQ(e.field(), "/thing_id");
        EXPECT_NE(std::string(e.what()).find("given twice"), std::string::npos) << e.what();
    }
    auto xml = request("", "<a/>");
    xml.headers["content-type"] = "application/xml";
    EXPECT_EQ(refusal_status([&] { operation_arguments(op(), xml); }), 415);
    auto lookalike = request("", "{}");
    lookalike.headers["content-type"] = "application/jsonpatch-nonsense";
    EXPECT_EQ(refusal_status([&] { operation_arguments(op(), lookalike); }), 415);
    auto with_charset = request("", R"({"a": 1})");
    with_charset.headers["content-type"] = "Application/JSON; charset=utf-8";
    EXPECT_EQ(operation_arguments(op(), with_charset)["a"], 1);
}

TEST(OperationArguments, ABodyThatIsNotJsonIsRefusedSayingWhatAndWhere) {
    const auto message = [](const std::string& body) {
        try {
            operation_arguments(op(), request("", body));
        } catch (const ApiRefusal& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_NE(message(R"({"name": 1,})").find("line 1, column 12"), std::string::npos)
        << message(R"({"name": 1,})");
    EXPECT_NE(message("{\"name\": \"\xff\"}").find("line 1"), std::string::npos);
    EXPECT_EQ(message("{\"name\": \"\xff\"}").find('\xff'), std::string::npos)
        << "the text is not quoted back";
    EXPECT_NE(message(std::string(200, '[') + std::string(200, ']')).find("deeper than 100 levels"),
              std::string::npos);
}

TEST(OperationArguments, AnotherContentTypeIsTheContentArgument) {
    const auto args = operation_arguments(op("text/yaml"), request("name=Greek", "title: x\nelements: []\n"));
    EXPECT_EQ(args["content"], "title: x\nelements: []\n");
    EXPECT_EQ(args["name"], "Greek");
}

TEST(ErrorResponse, HasTheStableFormWithDetailsWhenGiven) {
    const auto r = error_response(404, "not_found", "no such bot", "/bot_id", R"([{"line": 3}])", "req1");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(json::parse(r.body), (json{{"error",
                                          {{"code", "not_found"},
                                           {"message", "no such bot"},
                                           {"field", "/bot_id"},
                                           {"details", json::array({{{"line", 3}}})},
                                           {"request_id", "req1"}}}}));
    EXPECT_EQ(status_of(sdk::AdminError::Code::conflict), 409);
    EXPECT_EQ(status_of(sdk::AdminError::Code::forbidden), 403);
    EXPECT_EQ(status_of(sdk::AdminError::Code::invalid_argument), 400);
    EXPECT_EQ(status_of(sdk::AdminError::Code::unavailable), 503);
}

TEST(CookieValue, FindsOneCookieAmongMany) {
    EXPECT_EQ(cookie_value("a=1; profo_session=abc; b=2", "profo_session"), "abc");
    EXPECT_EQ(cookie_value("profo_session=abc", "profo_session"), "abc");
    EXPECT_EQ(cookie_value("xprofo_session=abc", "profo_session"), std::nullopt);
    EXPECT_EQ(cookie_value("", "profo_session"), std::nullopt);
    EXPECT_EQ(cookie_value("profo_session", "profo_session"), std::nullopt);
}

TEST(PathAccountId, IsAPositiveWholeNumberOrNotFound) {
    sdk::HttpRequest r;
    r.path_params["account_id"] = "42";
    EXPECT_EQ(path_account_id(r), 42);
    for (const char* bad : {"0", "-1", "4x", "", "99999999999999999999"}) {
        r.path_params["account_id"] = bad;
        EXPECT_EQ(refusal_status([&] { path_account_id(r); }), 404) << bad;
    }
    // what() ends at the first NUL: the account as given is quoted whole.
    r.path_params["account_id"] = std::string("4\0x", 3);
    try {
        path_account_id(r);
        FAIL() << "a NUL in the account was taken";
    } catch (const ApiRefusal& e) {
        EXPECT_EQ(std::string(e.what()), R"(there is no account "4\u0000x")");
    }
}
