--
-- PostgreSQL database dump
--

\restrict IdgFHzmX1RyhakhZ8asZy8bfsHl4HvYUjEygUvMUgrvy70NDeIbADQEUSjyfY9B

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: app; Type: SCHEMA; Schema: -; Owner: postgres
--

CREATE SCHEMA app;


ALTER SCHEMA app OWNER TO postgres;

--
-- Name: pos; Type: DOMAIN; Schema: app; Owner: postgres
--

CREATE DOMAIN app.pos AS integer
	CONSTRAINT pos_check CHECK ((VALUE > 0));


ALTER DOMAIN app.pos OWNER TO postgres;

--
-- Name: f(integer); Type: FUNCTION; Schema: app; Owner: postgres
--

CREATE FUNCTION app.f(a integer) RETURNS integer
    LANGUAGE sql
    AS $$select 1$$;


ALTER FUNCTION app.f(a integer) OWNER TO postgres;

--
-- Name: f(integer, text); Type: FUNCTION; Schema: app; Owner: postgres
--

CREATE FUNCTION app.f(a integer, b text) RETURNS integer
    LANGUAGE sql
    AS $$select 1$$;


ALTER FUNCTION app.f(a integer, b text) OWNER TO postgres;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: empty; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.empty (
    x integer
);


ALTER TABLE app.empty OWNER TO postgres;

--
-- Name: orders; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.orders (
    id integer NOT NULL,
    note text,
    at timestamp with time zone DEFAULT now()
);


ALTER TABLE app.orders OWNER TO postgres;

--
-- Name: mv; Type: MATERIALIZED VIEW; Schema: app; Owner: postgres
--

CREATE MATERIALIZED VIEW app.mv AS
 SELECT count(*) AS count
   FROM app.orders
  WITH NO DATA;


ALTER TABLE app.mv OWNER TO postgres;

--
-- Name: my items; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app."my items" (
    id integer,
    v numeric,
    CONSTRAINT "my items_v_check" CHECK ((v > (0)::numeric))
);


ALTER TABLE app."my items" OWNER TO postgres;

--
-- Name: orders_id_seq; Type: SEQUENCE; Schema: app; Owner: postgres
--

CREATE SEQUENCE app.orders_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE app.orders_id_seq OWNER TO postgres;

--
-- Name: orders_id_seq; Type: SEQUENCE OWNED BY; Schema: app; Owner: postgres
--

ALTER SEQUENCE app.orders_id_seq OWNED BY app.orders.id;


--
-- Name: parted; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.parted (
    k integer
)
PARTITION BY RANGE (k);


ALTER TABLE app.parted OWNER TO postgres;

--
-- Name: p1; Type: TABLE; Schema: app; Owner: postgres
--

CREATE TABLE app.p1 (
    k integer
);


ALTER TABLE app.p1 OWNER TO postgres;

--
-- Name: v; Type: VIEW; Schema: app; Owner: postgres
--

CREATE VIEW app.v AS
 SELECT orders.id,
    orders.note,
    orders.at
   FROM app.orders;


ALTER TABLE app.v OWNER TO postgres;

--
-- Name: p1; Type: TABLE ATTACH; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.parted ATTACH PARTITION app.p1 FOR VALUES FROM (0) TO (10);


--
-- Name: orders id; Type: DEFAULT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.orders ALTER COLUMN id SET DEFAULT nextval('app.orders_id_seq'::regclass);


--
-- Name: 16423; Type: BLOB; Schema: -; Owner: postgres
--

SELECT pg_catalog.lo_create('16423');


ALTER LARGE OBJECT 16423 OWNER TO postgres;

--
-- Data for Name: empty; Type: TABLE DATA; Schema: app; Owner: postgres
--

COPY app.empty (x) FROM stdin;
\.


--
-- Data for Name: my items; Type: TABLE DATA; Schema: app; Owner: postgres
--

COPY app."my items" (id, v) FROM stdin;
\.


--
-- Data for Name: orders; Type: TABLE DATA; Schema: app; Owner: postgres
--

COPY app.orders (id, note, at) FROM stdin;
\.


--
-- Data for Name: p1; Type: TABLE DATA; Schema: app; Owner: postgres
--

COPY app.p1 (k) FROM stdin;
1
\.


--
-- Name: orders_id_seq; Type: SEQUENCE SET; Schema: app; Owner: postgres
--

SELECT pg_catalog.setval('app.orders_id_seq', 1, true);


--
-- Data for Name: BLOBS; Type: BLOBS; Schema: -; Owner: -
--

BEGIN;

SELECT pg_catalog.lo_open('16423', 131072);
SELECT pg_catalog.lowrite(0, '\x68656c6c6f');
SELECT pg_catalog.lo_close(0);

COMMIT;

--
-- Name: orders orders_note_key; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.orders
    ADD CONSTRAINT orders_note_key UNIQUE (note);


--
-- Name: orders orders_pkey; Type: CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);


--
-- Name: my items_v_idx; Type: INDEX; Schema: app; Owner: postgres
--

CREATE INDEX "my items_v_idx" ON app."my items" USING btree (v);


--
-- Name: orders t; Type: TRIGGER; Schema: app; Owner: postgres
--

CREATE TRIGGER t BEFORE INSERT ON app.orders FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();


--
-- Name: my items my items_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: postgres
--

ALTER TABLE ONLY app."my items"
    ADD CONSTRAINT "my items_id_fkey" FOREIGN KEY (id) REFERENCES app.orders(id);


--
-- Name: mv; Type: MATERIALIZED VIEW DATA; Schema: app; Owner: postgres
--

REFRESH MATERIALIZED VIEW app.mv;


--
-- PostgreSQL database dump complete
--

\unrestrict IdgFHzmX1RyhakhZ8asZy8bfsHl4HvYUjEygUvMUgrvy70NDeIbADQEUSjyfY9B

